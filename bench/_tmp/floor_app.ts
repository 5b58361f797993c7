const mode = Deno.args[0];
let count = 0;
Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) }, async (r, i) => {
  let x = 0;
  if (mode === "headers") {
    x = (r.headers.get("cookie")?.length ?? 0) + (r.headers.get("user-agent")?.length ?? 0) + ((i.remoteAddr as Deno.NetAddr).hostname.length);
  } else if (mode === "cookie") {
    x = (r.headers.get("cookie")?.length ?? 0);
  } else if (mode === "addr") {
    x = ((i.remoteAddr as Deno.NetAddr).hostname.length);
  }
  await null;
  return new Response(`visit ${++count + x}`);
});

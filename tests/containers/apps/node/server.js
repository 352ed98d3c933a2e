"use strict";
// The container tests' app. config.json (written by the test) names the health path; PORT comes
// from the task definition. /slow answers after ?ms= milliseconds (2000 by default).
// TEST_IGNORE_SIGTERM=1 registers a SIGTERM handler that does nothing: the kit's preload then
// leaves SIGTERM to the app, which ignores it, so only SIGKILL at the stop timeout ends it.
const http = require("node:http");
const { healthPath } = require("./config.json");

if (process.env.TEST_IGNORE_SIGTERM === "1") {
  process.on("SIGTERM", () => console.error("test app: ignoring SIGTERM"));
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === healthPath) {
    response.end("ok");
  } else if (url.pathname === "/slow") {
    setTimeout(() => response.end("slow done"), Number(url.searchParams.get("ms") || 2000));
  } else {
    response.statusCode = 404;
    response.end();
  }
});
server.listen(Number(process.env.PORT), "0.0.0.0", () => console.log(`test app: listening on ${process.env.PORT}`));

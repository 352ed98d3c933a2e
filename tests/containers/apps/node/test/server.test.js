"use strict";
// Not for the image: the kit's Dockerfile leaves test/ out of /app.
const test = require("node:test");
test("placeholder", () => {});

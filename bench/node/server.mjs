// Auth.js's Express integration serving /auth/session, for bench/session_bench.py.
//
//   node server.mjs serve <port>   serves /auth/* (ExpressAuth, one Credentials provider)
//   node server.mjs mint           prints a session token made by @auth/core's own encode
// The secret comes from AUTH_SECRET; the session cookie is authjs.session-token (http).
import { ExpressAuth } from "@auth/express";
import Credentials from "@auth/express/providers/credentials";
import { encode } from "@auth/core/jwt";
import express from "express";

const secret = process.env.AUTH_SECRET;
if (!secret) throw new Error("AUTH_SECRET is required");
const [mode, port] = process.argv.slice(2);

if (mode === "mint") {
  const token = await encode({
    token: {
      name: "Ada Lovelace",
      email: "ada@example.com",
      picture: "https://example.com/ada.png",
      sub: "42",
    },
    secret,
    salt: "authjs.session-token",
  });
  process.stdout.write(`${token}\n`);
} else if (mode === "serve") {
  const app = express();
  app.set("trust proxy", true);
  app.use(
    "/auth",
    ExpressAuth({
      providers: [Credentials({ authorize: async () => null })],
      secret,
      trustHost: true,
      logger: { error() {}, warn() {}, debug() {} },
    }),
  );
  app.listen(Number(port), "127.0.0.1");
} else {
  throw new Error(`usage: node server.mjs serve <port> | mint`);
}

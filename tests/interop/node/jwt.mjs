// A small CLI over the real next-auth/jwt (v4) and @auth/core/jwt (Auth.js v5), for the
// Python interop tests.
//
// Reads one JSON request from stdin and prints one JSON answer on stdout:
//   {"op":"encode","token":{...},"secret":"...","maxAge":N,"salt":"..."} -> {"jwt":"..."}
//   {"op":"decode","jwt":"...","secret":"...","salt":"..."}              -> {"token":{...}}
//   {"op":"getToken","cookie":"a=b; ...","authorization":"Bearer ...","secret":"...",
//    "secureCookie":bool}                                                   -> {"token":{...}}
//   {"op":"chunk","name":"<session cookie>","value":"<jwt>"}              -> {"cookies":[{name,value}]}
//     (the packages' own SessionStore.chunk: how a Next.js app splits a large session cookie)
//   {"op":"batch","requests":[...]}                 -> {"answers":[answer, ...]} (one node start)
// Add "profile":"authjs-v5" to use @auth/core/jwt (salt required there; secret may be a list).
// maxAge and salt are optional (next-auth's defaults: 30 days, ""). A decode that
// next-auth rejects, or a bad request, prints {"error":"message"} and exits 0; only
// a broken installation exits non-zero.
import { createRequire } from "node:module";
import * as v5 from "@auth/core/jwt";
// Not in the packages' exports maps: the internal session stores, by file.
import { SessionStore as V5SessionStore } from "./node_modules/@auth/core/lib/utils/cookie.js";
import * as v4 from "next-auth/jwt";

const { SessionStore: V4SessionStore } = createRequire(import.meta.url)(
  "./node_modules/next-auth/core/lib/cookie.js",
);
const quietLogger = { debug() {}, warn() {}, error() {} };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function parseCookies(header) {
  const cookies = {};
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name && !(name in cookies)) cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return cookies;
}

async function handle(request) {
  const { op, secret, salt } = request;
  const { decode, encode, getToken } = request.profile === "authjs-v5" ? v5 : v4;
  if (op === "batch") {
    const answers = [];
    for (const one of request.requests) {
      try {
        answers.push(await handle(one));
      } catch (err) {
        answers.push(errorAnswer(err));
      }
    }
    return { answers };
  }
  if (op === "chunk") {
    const option = { name: request.name, options: { path: "/", sameSite: "lax", httpOnly: true } };
    const store =
      request.profile === "authjs-v5"
        ? new V5SessionStore(option, {}, quietLogger)
        : new V4SessionStore(option, { cookies: {} }, quietLogger);
    const cookies = store.chunk(request.value, {});
    return { cookies: cookies.map(({ name, value }) => ({ name, value })) };
  }
  if (op === "getToken") {
    const headers = {};
    if (request.cookie) headers.cookie = request.cookie;
    if (request.authorization) headers.authorization = request.authorization;
    // v4 reads req.cookies (Next.js API routes); v5 reads the Cookie header.
    const req = { headers, cookies: parseCookies(request.cookie) };
    const params = { req, secret };
    if (request.secureCookie !== undefined) params.secureCookie = request.secureCookie;
    if (request.cookieName) params.cookieName = request.cookieName;
    return { token: await getToken(params) };
  }
  if (op === "encode") {
    const params = { token: request.token ?? {}, secret };
    if (request.maxAge !== undefined && request.maxAge !== null) params.maxAge = request.maxAge;
    if (salt !== undefined && salt !== null) params.salt = salt;
    return { jwt: await encode(params) };
  }
  if (op === "decode") {
    const params = { token: request.jwt, secret };
    if (salt !== undefined && salt !== null) params.salt = salt;
    return { token: await decode(params) };
  }
  throw new Error(`unknown op: ${JSON.stringify(op)}`);
}

function errorAnswer(err) {
  const name = err && err.code ? `${err.code}: ` : "";
  return { error: `${name}${err && err.message ? err.message : String(err)}` };
}

let answer;
try {
  answer = await handle(JSON.parse(await readStdin()));
} catch (err) {
  answer = errorAnswer(err);
}
process.stdout.write(`${JSON.stringify(answer)}\n`);

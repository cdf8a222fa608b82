// A small CLI over the real next-auth/jwt, for the Python interop tests.
//
// Reads one JSON request from stdin and prints one JSON answer on stdout:
//   {"op":"encode","token":{...},"secret":"...","maxAge":N,"salt":"..."} -> {"jwt":"..."}
//   {"op":"decode","jwt":"...","secret":"...","salt":"..."}              -> {"token":{...}}
// maxAge and salt are optional (next-auth's defaults: 30 days, ""). A decode that
// next-auth rejects, or a bad request, prints {"error":"message"} and exits 0; only
// a broken installation exits non-zero.
import { decode, encode } from "next-auth/jwt";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(request) {
  const { op, secret, salt } = request;
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

let answer;
try {
  answer = await handle(JSON.parse(await readStdin()));
} catch (err) {
  const name = err && err.code ? `${err.code}: ` : "";
  answer = { error: `${name}${err && err.message ? err.message : String(err)}` };
}
process.stdout.write(`${JSON.stringify(answer)}\n`);

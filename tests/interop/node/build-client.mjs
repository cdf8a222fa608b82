// Bundle react-client.jsx (next-auth/react + React) into one browser script with esbuild.
//   node build-client.mjs <outfile> [<entry>]
// Another entry (../webauthn-node/webauthn-client.js: next-auth 5's passkey client) resolves
// its imports from its own folder's node_modules.
// next-auth/react reads process.env.NEXTAUTH_URL when it loads: its path becomes the client's
// basePath (/api/auth). In the browser the client fetches relative to that path, so the origin
// given here is never used.
import { build } from "esbuild";

const outfile = process.argv[2];
if (!outfile) throw new Error("usage: node build-client.mjs <outfile> [<entry>]");
const entry = process.argv[3] ?? new URL("./react-client.jsx", import.meta.url).pathname;
await build({
  entryPoints: [entry],
  bundle: true,
  outfile,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: false,
  logLevel: "error",
  define: {
    "process.env.NODE_ENV": '"production"',
    "process.env.NEXTAUTH_URL": '"http://localhost/api/auth"',
    "process.env.NEXTAUTH_URL_INTERNAL": "undefined",
    "process.env.VERCEL_URL": "undefined",
  },
  // Any other process.env read sees an empty object instead of a ReferenceError.
  banner: { js: "var process = { env: {} };" },
});

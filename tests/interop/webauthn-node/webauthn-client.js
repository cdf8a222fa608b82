// The page's script: Auth.js's own passkey client, exposed for the test to call.
import { signIn } from "next-auth/webauthn";

window.authjs = { signIn };

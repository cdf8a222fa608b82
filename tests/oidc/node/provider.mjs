// A real OpenID provider (oidc-provider) on 127.0.0.1 for the OAuth tests.
//
//   OIDC_TEST_CONFIG='{"client_id":"...","client_secret":"...","redirect_uris":["..."]}' node provider.mjs
//
// Listens on a free loopback port (or `port` of the config) and prints one line, `listening <issuer>`, once it accepts
// connections. Sign-in uses the package's development interactions: any login and password
// are accepted, the login becomes the account id, then a consent screen. The account's e-mail is
// `<login>@example.com`, verified unless the login starts with `unverified-` (whose address is
// then the rest of the login's). Stopped by the test fixture (SIGTERM to its PID).
import http from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? "{}");

const server = http.createServer();
server.listen(config.port ?? 0, "127.0.0.1", () => {
  const { port } = server.address();
  // `issuer`: a proxy in front of it (tests/_support/faulty_proxy.py) that forwards here.
  const issuer = config.issuer ?? `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.client_id,
        client_secret: config.client_secret,
        redirect_uris: config.redirect_uris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: config.token_endpoint_auth_method ?? "client_secret_basic",
      },
    ],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "picture"],
    },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          const unverified = id.startsWith("unverified-");
          const local = unverified ? id.slice("unverified-".length) : id;
          const name = local.charAt(0).toUpperCase() + local.slice(1);
          // Text no database column holds, as a provider might send it (tests of bad input).
          const odd = { "nul-": "Ada\u0000 Lovelace", "surrogate-": "Ada\uD800 Lovelace" };
          const oddName = Object.entries(odd).find(([prefix]) => id.startsWith(prefix))?.[1];
          return {
            sub: id,
            name: oddName ?? `${name} Lovelace`,
            email: `${local}@example.com`,
            email_verified: !unverified,
            picture: `${issuer}/avatars/${id}.png`,
          };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
    // Test runs are short; keep the defaults' lifetimes but no refresh tokens.
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  provider.on("server_error", (ctx, err) => console.error("server_error", err));
  server.on("request", provider.callback());
  console.log(`listening ${issuer}`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));

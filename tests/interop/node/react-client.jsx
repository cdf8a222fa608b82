// The official next-auth v4 browser client, unchanged, exposed on window for the browser test
// (tests/interop/test_react_client.py). Bundled by build-client.mjs with esbuild.
import React from "react";
import { createRoot } from "react-dom/client";
import {
  getCsrfToken,
  getProviders,
  getSession,
  SessionProvider,
  signIn,
  signOut,
  useSession,
} from "next-auth/react";

function Probe() {
  const { data, status, update } = useSession();
  window.sessionState = { data, status };
  window.sessionUpdate = update;
  return React.createElement("p", { id: "status" }, status);
}

window.nextAuth = {
  getCsrfToken,
  getProviders,
  getSession,
  signIn,
  signOut,
  // Mount <SessionProvider><Probe/></SessionProvider>: useSession().update is the real one.
  mountSessionProvider() {
    const root = document.createElement("div");
    document.body.append(root);
    createRoot(root).render(
      React.createElement(SessionProvider, { refetchOnWindowFocus: false }, React.createElement(Probe)),
    );
  },
};

"""E-mail sign-in (v4 ``providers/email.ts``): address normalisation and the flow's two halves."""

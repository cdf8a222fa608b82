"""E-mail sign-in (spec §10): address normalisation and the two halves of the flow."""

"""The party-side client: signs requests with the party's own key; plaintext never leaves it."""

"""Per-recipient envelopes, keys, keystores and subject pseudonyms, as recipes over libsodium."""

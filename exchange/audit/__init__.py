"""The disclosure log: canonical events, an RFC 6962 Merkle tree and signed checkpoints."""

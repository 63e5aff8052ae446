"""The casustafel workflow: cases, their phases and parties, and the hit/no-hit index."""

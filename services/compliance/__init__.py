"""The compliance service: erasure of a subject from every tier, and the suppression list."""

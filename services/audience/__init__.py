"""The audience service: audiences, their members kept incrementally, qualifications."""

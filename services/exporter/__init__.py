"""The exporter: hands execution-ready lead cards to execution platforms as Lead Card Batch v1."""

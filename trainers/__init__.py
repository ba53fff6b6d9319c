"""PyTorch trainers behind the contamination-lab trainer contract (see trainers/README.md)."""

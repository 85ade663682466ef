"""Neural networks built from autograd operations."""

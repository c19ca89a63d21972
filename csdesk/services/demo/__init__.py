"""The demo book: a deterministic, believable book of business (``generate``) from names and
texts kept apart (``content``)."""

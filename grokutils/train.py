"""Training loops: plain, explicit torch, batched over independent runs."""

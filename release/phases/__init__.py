"""The six phases of a push, one module each; each exposes its checks or its steps."""

"""The live pipeline: one module per stage, wired together by `session.LiveSession`."""

"""Helpers shared by test levels (moto resources built from ``template.yaml``, the bad-input corpus, ...)."""

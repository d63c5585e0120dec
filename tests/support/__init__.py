"""Helpers shared by test packages: real servers on free ports, configs, collectors, feeds.

Fixtures stay in the conftest.py files; what is imported lives here.
"""

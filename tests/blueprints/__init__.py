"""Tests of the automation blueprints."""

"""The inference example plugin: a colour-blob detector, its smart tool and its pre-annotation action."""

"""The Django example project (``python -m examples.django_project``)."""

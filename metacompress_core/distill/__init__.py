"""Knowledge distillation pipeline: teacher fine-tuning (teacher.py) and, later, student distillation."""

"""Knowledge distillation: teachers (teacher.py, siamese_teacher.py) and students (student.py)."""

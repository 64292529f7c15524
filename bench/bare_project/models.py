from django.db import models


class Delivery(models.Model):
    wamid = models.CharField(max_length=128, unique=True)
    sender = models.CharField(max_length=32)
    text = models.TextField()
    answered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.wamid

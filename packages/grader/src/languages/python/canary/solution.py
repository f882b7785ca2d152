import numpy as np

total = 0
for i in range(1, 11):
    total += i
words = ["alpha", "beta"]
matrix = np.arange(6).reshape(2, 3) * 0.5
print(f"total is {total}")

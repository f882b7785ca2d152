import numpy as np

total = sum(range(10))
words = ["alpha"]
matrix = np.arange(6).reshape(3, 2)
print("total is", total)

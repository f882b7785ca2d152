# R grader canary: the reference solution.
answer <- 6 * 7
m <- matrix(1:6, nrow = 2)
scores <- data.frame(name = c("a", "b"), points = c(3, NA))
z <- complex(real = 1, imaginary = -2)
nothing <- NULL
greeting <- "Hello, R!"
# A warning does not stop the script.
parsed <- as.integer(c("12", "twelve"))[1]

check_positive <- function(x) {
  if (x < 0) stop("x must not be negative")
  if (x == 0) warning("x is zero")
  sqrt(x)
}

for (i in 1:3) cat("line", i, "\n")
cat("sum:", sum(1:10), "\n")

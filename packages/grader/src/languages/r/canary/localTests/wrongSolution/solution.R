# R grader canary: a wrong solution.
answer <- 41
m <- matrix(1:6, nrow = 3)
scores <- data.frame(name = c("a", "b"), points = c(3, 0))
z <- complex(real = 1, imaginary = 2)
nothing <- NA
greeting <- "Hi, R!"
parsed <- as.integer("twelve")

check_positive <- function(x) {
  if (x < 0) return(NA)
  sqrt(x)
}

i <- 1
while (i <= 2) {
  cat("line", i, "\n")
  i <- i + 1
}
cat("sum:", sum(1:9), "\n")

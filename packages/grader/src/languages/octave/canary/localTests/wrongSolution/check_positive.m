function check_positive(value)
  % Forgets to check.
end

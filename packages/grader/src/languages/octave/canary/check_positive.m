function check_positive(value)
  % Raises an error for values that are not positive.
  if value <= 0
    error('canary:negative', 'value must be positive, got %g', value);
  end
end

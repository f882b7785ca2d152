% Octave canary: a wrong solution
x = 1:5;
y = zeros(1, 5);
for k = 1:5
  y(k) = k^3;
end
M = [1 3; 2 4];
z = 3 - 4i;
greeting = 'hallo';
s.name = 'octave';
printf('sum = %d\n', sum(y));
plot(x, y);

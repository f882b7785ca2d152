% Octave canary: reference solution
x = 1:5;
y = x.^2;
M = [1 2; 3 4];
z = 3 + 4i;
greeting = 'hello';
s.name = 'octave';
s.n = numel(x);
printf('sum = %d\n', sum(y));
warning('canary:note', 'squares computed');
figure();
plot(x, y);
title('squares');

program canary
    implicit none
    integer :: n
    read (*, *) n
    write (*, '(A, I0)') 'n = ', n
    write (*, '(A, I0)') 'sum = ', sum_to(n)
contains
    integer function sum_to(m)
        integer, intent(in) :: m
        integer :: i
        sum_to = 0
        do i = 1, m - 1
            sum_to = sum_to + i
        end do
    end function sum_to
end program canary

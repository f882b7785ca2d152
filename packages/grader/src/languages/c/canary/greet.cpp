#include <iostream>
#include <string>

int main() {
    std::string name;
    std::getline(std::cin, name);
    std::cout << "Hello, " << name << "! (" << name.size() << " letters)" << std::endl;
    return 0;
}

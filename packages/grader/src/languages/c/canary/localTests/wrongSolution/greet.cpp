#include <iostream>
#include <string>

int main() {
    std::string name;
    std::getline(std::cin, name);
    std::cout << "Hi, " << name << "! (" << name.size() << " letters)" << std::endl;
    return 0;
}

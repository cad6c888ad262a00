/* placeholder: the program arrives with the engine */
int main(void)
{
    return 0;
}

import HitchCLI

@main
struct Hitch {
    static func main() async {
        await HitchCommand.runMain()
    }
}

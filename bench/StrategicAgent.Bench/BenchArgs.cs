namespace StrategicAgent.Bench;

/// <summary>The command line every bench subcommand takes: <c>--name value</c> pairs, and <c>-h</c>/<c>--help</c>.</summary>
internal static class BenchArgs
{
    /// <summary>
    /// Reads <paramref name="args"/> into <paramref name="options"/> (names without the dashes, case-insensitive).
    /// Returns null to go on, or the exit code to stop with: 0 after printing <paramref name="usage"/> for
    /// <c>--help</c>, 64 after saying which argument is not a <c>--name value</c> pair.
    /// </summary>
    public static int? Parse(string command, string usage, string[] args, out Dictionary<string, string> options)
    {
        options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(usage);
                return 0;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"{command}: unexpected argument '{args[i]}'.\n{usage}");
                return 64;
            }
            options[args[i][2..]] = args[++i];
        }
        return null;
    }
}

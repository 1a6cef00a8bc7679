using System.Diagnostics;

namespace StrategicAgent.Reliability.Tests.Install;

/// <summary>
/// A throwaway Debian for the install path: fake <c>dpkg-query</c>, <c>apt-get</c>, <c>sudo</c>,
/// <c>id</c> and <c>dotnet</c> on PATH, a policy-rc.d path of its own (<c>SA_POLICY_RC_D</c>) and a
/// state directory that records every call. The repository's real scripts run against it.
/// </summary>
public sealed class FakeDebian : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sa-install-");

    public FakeDebian()
    {
        Directory.CreateDirectory(FakeBin);
        Directory.CreateDirectory(Tools);
        Directory.CreateDirectory(State);
        File.WriteAllText(MissingFile, "");
        File.WriteAllText(CallsFile, "");
        Fake("dpkg-query", """
            pkg=${@: -1}
            echo "dpkg-query $*" >> "$FAKE_STATE/calls.log"
            while IFS= read -r m; do
              if [ "$m" = "$pkg" ]; then echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi
            done < "$FAKE_STATE/missing"
            printf 'install ok installed'
            """);
        Fake("apt-get", """
            echo "apt-get $* (DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-})" >> "$FAKE_STATE/calls.log"
            case "$1" in
              update)
                if [ -e "$FAKE_STATE/fail-update" ]; then echo "E: Failed to fetch http://deb.debian.org (fake)" >&2; exit 100; fi ;;
              install)
                if [ -e "$SA_POLICY_RC_D" ]; then
                  echo "policy during install: $(while IFS= read -r l; do printf '%s;' "$l"; done < "$SA_POLICY_RC_D")" >> "$FAKE_STATE/calls.log"
                else
                  echo "policy during install: none" >> "$FAKE_STATE/calls.log"
                fi
                if [ -e "$FAKE_STATE/fail-install" ]; then echo "E: Unable to locate package (fake)" >&2; exit 100; fi
                mapfile -t missing < "$FAKE_STATE/missing"
                : > "$FAKE_STATE/missing"
                for m in "${missing[@]}"; do
                  keep=1
                  for a in "$@"; do [ "$a" = "$m" ] && keep=0; done
                  [ "$keep" = 1 ] && echo "$m" >> "$FAKE_STATE/missing"
                done ;;
            esac
            exit 0
            """);
        Fake("sudo", """
            echo "sudo $*" >> "$FAKE_STATE/calls.log"
            exec "$@"
            """);
        var realId = Which("id");
        Fake("id", $$"""
            if [ "${1:-}" = -u ] && [ -n "${FAKE_UID:-}" ]; then echo "$FAKE_UID"; exit 0; fi
            exec {{realId}} "$@"
            """);
        Fake("dotnet", """
            echo "dotnet $*" >> "$FAKE_STATE/calls.log"
            case "$1" in
              build) exit 0 ;;
              sln) printf 'Project(s)\n----------\nservices/Gateway/StrategicAgent.Gateway/StrategicAgent.Gateway.csproj\ntests/StrategicAgent.Foundation.Tests/StrategicAgent.Foundation.Tests.csproj\ntests/StrategicAgent.Reliability.Tests/StrategicAgent.Reliability.Tests.csproj\n'; exit 0 ;;
              test)
                # FAKE_TEST_FAIL=<test name>: the run whose arguments name the fault suite fails that test, as MTP prints it.
                case "$*" in
                  *Reliability.Tests*) if [ -n "${FAKE_TEST_FAIL:-}" ]; then
                      printf 'Running tests from Reliability.Tests.dll\nfailed %s (2m 08s 278ms)\n  from /x/StrategicAgent.Reliability.Tests.dll (net10.0|x64)\n  Assert.True() Failure\n  Expected: True\n  Actual:   False\n    at StrategicAgent.Reliability.Tests.Faults.FaultTests.Broker() in FaultTests.cs:99\n  total: 3\n  failed: 1\n  succeeded: 2\n  skipped: 0\n' "$FAKE_TEST_FAIL"
                      exit 2
                    fi ;;
                esac
                printf '  total: 3\n  failed: 0\n  succeeded: 3\n  skipped: 0\n'; exit 0 ;;
              run) echo "fake benchmark ran"; exit 0 ;;
              *.dll) echo "fake AppHost stops at once"; exit 3 ;;
            esac
            exit 0
            """);
        // The tools ensure-packages.sh needs besides the fakes: a PATH without the machine's own
        // apt-get, dpkg-query or sudo, so no case depends on what this machine has installed.
        foreach (var tool in new[] { "bash", "grep", "tee", "chmod", "rm", "cat", "env" })
            File.CreateSymbolicLink(Path.Combine(Tools, tool), Which(tool));
    }

    public string Root => _root.FullName;
    public string FakeBin => Path.Combine(Root, "bin");
    public string Tools => Path.Combine(Root, "tools");
    public string State => Path.Combine(Root, "state");
    public string PolicyFile => Path.Combine(Root, "policy-rc.d");
    private string MissingFile => Path.Combine(State, "missing");
    private string CallsFile => Path.Combine(State, "calls.log");

    /// <summary>Packages dpkg-query reports as not installed (until the fake apt-get installs them).</summary>
    public void Missing(params string[] packages) => File.WriteAllLines(MissingFile, packages);

    public string[] StillMissing() => File.ReadAllLines(MissingFile).Where(l => l.Length > 0).ToArray();

    public void FailUpdate() => File.WriteAllText(Path.Combine(State, "fail-update"), "");

    public void FailInstall() => File.WriteAllText(Path.Combine(State, "fail-install"), "");

    public string[] Calls() => File.ReadAllLines(CallsFile);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Runs a script of the repository with the fakes first on PATH.</summary>
    /// <param name="restrictedPath">PATH = fakes + a few tools only (for ensure-packages.sh itself);
    /// otherwise the fakes are put in front of the machine's PATH (the callers need git, dirname, …).</param>
    public async Task<ScriptResult> RunAsync(string script, string[] args, bool restrictedPath = false,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(Which("bash"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        psi.ArgumentList.Add(Path.Combine(RepositoryRoot, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = restrictedPath ? $"{FakeBin}:{Tools}" : $"{FakeBin}:{Environment.GetEnvironmentVariable("PATH")}";
        psi.Environment["FAKE_STATE"] = State;
        psi.Environment["SA_POLICY_RC_D"] = PolicyFile;
        // The callers' own state stays inside this sandbox.
        psi.Environment["SA_ARTIFACTS"] = "install-path-test";
        psi.Environment["SA_RUN_DIR"] = Path.Combine(Root, "run");
        psi.Environment["SA_RUN_DIR_FIXED"] = "1";
        psi.Environment["SA_START_TIMEOUT"] = "60";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {string.Join(' ', args)} did not finish within 2 min");
        }
        return new ScriptResult(p.ExitCode, await stdout, await stderr, Calls());
    }

    private void Fake(string name, string body)
    {
        var path = Path.Combine(FakeBin, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body.Replace("\r", "") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private static string Which(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var path = Path.Combine(dir, tool);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"'{tool}' is not on PATH");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "StrategicAgent.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("StrategicAgent.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { _root.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed record ScriptResult(int ExitCode, string Stdout, string Stderr, string[] Calls)
{
    public string LastLine => Stdout.TrimEnd().Split('\n')[^1].Trim();

    public override string ToString() =>
        $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}--- calls\n{string.Join('\n', Calls)}";
}

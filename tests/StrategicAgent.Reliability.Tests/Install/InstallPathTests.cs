namespace StrategicAgent.Reliability.Tests.Install;

/// <summary>
/// scripts/ensure-packages.sh against a fake apt-get: exit codes, messages, the policy-rc.d file
/// that keeps package scripts from starting system services (added and removed when absent, left
/// alone when present — a machine of this kind has one, and that is where a first run once failed).
/// </summary>
public sealed class EnsurePackagesTests
{
    private const string Script = "scripts/ensure-packages.sh";
    private const string PolicyBody = "#!/bin/sh;exit 101;";

    [Fact]
    public async Task Nothing_missing_exits_0_without_apt_and_without_touching_the_policy()
    {
        using var debian = new FakeDebian();
        var r = await debian.RunAsync(Script, ["postgresql-15", "libgomp1"], restrictedPath: true);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Stdout + r.Stderr);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("apt-get", StringComparison.Ordinal));
        Assert.False(File.Exists(debian.PolicyFile), "a policy file was left behind");
    }

    [Fact]
    public async Task Missing_package_with_policy_absent_installs_under_a_temporary_policy_and_exits_0()
    {
        using var debian = new FakeDebian();
        debian.Missing("python3-sqlglot");
        var r = await debian.RunAsync(Script, ["postgresql-15", "python3-sqlglot"], restrictedPath: true);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Installing missing packages: python3-sqlglot", r.Stdout);
        Assert.Contains("Installed: python3-sqlglot", r.Stdout);
        Assert.Equal("", r.Stderr);
        Assert.Empty(debian.StillMissing());
        // Only the missing package is installed, non-interactively, after one update, and while
        // the policy that forbids starting services is in place.
        Assert.Equal(
        [
            "apt-get update -qq (DEBIAN_FRONTEND=noninteractive)",
            "apt-get install -y -qq --no-install-recommends python3-sqlglot (DEBIAN_FRONTEND=noninteractive)",
            "policy during install: " + PolicyBody,
        ], r.Calls.Where(c => !c.StartsWith("dpkg-query", StringComparison.Ordinal)));
        Assert.False(File.Exists(debian.PolicyFile), "the temporary policy file was not removed");
    }

    [Fact]
    public async Task Missing_package_with_policy_present_exits_0_and_leaves_the_policy_as_it_was()
    {
        using var debian = new FakeDebian();
        const string existing = "#!/bin/sh\n# the machine's own policy\nexit 101\n";
        File.WriteAllText(debian.PolicyFile, existing);
        debian.Missing("python3-xgboost", "python3-sqlglot");
        var r = await debian.RunAsync(Script, ["python3-sqlglot", "libgomp1", "python3-xgboost"], restrictedPath: true);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Installed: python3-sqlglot python3-xgboost", r.Stdout);
        Assert.Contains("apt-get install -y -qq --no-install-recommends python3-sqlglot python3-xgboost (DEBIAN_FRONTEND=noninteractive)", r.Calls);
        Assert.Contains("policy during install: #!/bin/sh;# the machine's own policy;exit 101;", r.Calls);
        Assert.Equal(existing, File.ReadAllText(debian.PolicyFile));
        Assert.Empty(debian.StillMissing());
    }

    [Fact]
    public async Task Apt_update_failing_exits_1_with_the_step_and_the_packages_and_removes_the_policy()
    {
        using var debian = new FakeDebian();
        debian.Missing("rabbitmq-server");
        debian.FailUpdate();
        var r = await debian.RunAsync(Script, ["rabbitmq-server"], restrictedPath: true);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("apt-get update failed; cannot install: rabbitmq-server", r.Stderr);
        Assert.Contains("E: Failed to fetch", r.Stderr); // apt's own reason is shown, not swallowed
        Assert.DoesNotContain("Installed:", r.Stdout);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("apt-get install", StringComparison.Ordinal));
        Assert.False(File.Exists(debian.PolicyFile), "the temporary policy file was not removed after a failure");
    }

    [Fact]
    public async Task Apt_install_failing_exits_1_with_the_step_and_the_packages_and_removes_the_policy()
    {
        using var debian = new FakeDebian();
        debian.Missing("libpg-query1504.0");
        debian.FailInstall();
        var r = await debian.RunAsync(Script, ["postgresql-15", "libpg-query1504.0"], restrictedPath: true);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("apt-get install failed for: libpg-query1504.0", r.Stderr);
        Assert.Contains("E: Unable to locate package", r.Stderr);
        Assert.DoesNotContain("Installed:", r.Stdout);
        Assert.Equal(["libpg-query1504.0"], debian.StillMissing());
        Assert.False(File.Exists(debian.PolicyFile));
    }

    [Fact]
    public async Task Not_root_goes_through_sudo_for_the_policy_and_apt()
    {
        using var debian = new FakeDebian();
        debian.Missing("curl");
        var r = await debian.RunAsync(Script, ["curl"], restrictedPath: true, new Dictionary<string, string> { ["FAKE_UID"] = "1000" });

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"sudo tee {debian.PolicyFile}", r.Calls);
        Assert.Contains("sudo apt-get update -qq", r.Calls);
        Assert.Contains("sudo apt-get install -y -qq --no-install-recommends curl", r.Calls);
        Assert.Contains($"sudo rm -f {debian.PolicyFile}", r.Calls);
        Assert.False(File.Exists(debian.PolicyFile));
    }

    [Fact]
    public async Task Not_root_without_sudo_exits_1_and_says_what_to_install()
    {
        using var debian = new FakeDebian();
        File.Delete(Path.Combine(debian.FakeBin, "sudo"));
        debian.Missing("curl", "libgomp1");
        var r = await debian.RunAsync(Script, ["curl", "libgomp1"], restrictedPath: true, new Dictionary<string, string> { ["FAKE_UID"] = "1000" });

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("Missing packages: curl libgomp1. Install them as root (apt-get install curl libgomp1).", r.Stderr);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("apt-get", StringComparison.Ordinal));
    }
}

/// <summary>
/// The README's commands on a machine with a package missing: run.sh, test.sh and bench.sh go on
/// after a successful install, and stop with a clear message (and test.sh with its totals line)
/// when it fails. Their later steps meet a fake dotnet that only records what it was asked.
/// </summary>
public sealed class InstallCallerTests
{
    [Fact]
    public async Task Test_sh_installs_what_is_missing_then_builds_and_tests()
    {
        using var debian = new FakeDebian();
        debian.Missing("python3-xgboost");
        var r = await debian.RunAsync("test.sh", []);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Installed: python3-xgboost", r.Stdout);
        Assert.Contains(r.Calls, c => c.StartsWith("dotnet build StrategicAgent.sln", StringComparison.Ordinal));
        // Everything but the fault suite side by side (a solution filter of the solution's other projects), then the
        // fault suite alone; the totals line is the sum of both runs.
        var tests = r.Calls.Where(c => c.StartsWith("dotnet test ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, tests.Count);
        Assert.StartsWith($"dotnet test --solution {FakeDebian.RepositoryRoot}/artifacts/install-path-test/test-first.slnf ", tests[0]);
        Assert.StartsWith($"dotnet test --project {FaultSuite} ", tests[1]);
        using (var filter = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(FakeDebian.RepositoryRoot, "artifacts/install-path-test/test-first.slnf"))))
        {
            var solution = filter.RootElement.GetProperty("solution");
            Assert.Equal("../../StrategicAgent.sln", solution.GetProperty("path").GetString());
            Assert.Equal(["services/Gateway/StrategicAgent.Gateway/StrategicAgent.Gateway.csproj", "tests/StrategicAgent.Foundation.Tests/StrategicAgent.Foundation.Tests.csproj"],
                solution.GetProperty("projects").EnumerateArray().Select(p => p.GetString()));
        }
        Assert.Equal("6 passed, 0 failed, 0 skipped", r.LastLine);
    }

    private const string FaultSuite = "tests/StrategicAgent.Reliability.Tests/StrategicAgent.Reliability.Tests.csproj";

    [Fact]
    public async Task Test_sh_ends_with_each_failed_test_and_the_first_lines_of_its_message_before_its_totals()
    {
        using var debian = new FakeDebian();
        const string Failed = "StrategicAgent.Reliability.Tests.Faults.FaultTests.The_broker_killed_with_SIGKILL_is_restarted_and_the_services_reconnect";
        var r = await debian.RunAsync("test.sh", [], env: new Dictionary<string, string> { ["FAKE_TEST_FAIL"] = Failed });

        Assert.True(r.ExitCode == 2, r.ToString());
        var tail = r.Stdout.TrimEnd().Split('\n')[^7..].Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(
        [
            "Failed tests (the first lines of each message):",
            $"  failed {Failed} (2m 08s 278ms)",
            "      Assert.True() Failure",
            "      Expected: True",
            "      Actual:   False",
        ], tail[..5]);
        Assert.StartsWith("Test run took ", tail[5]);
        Assert.Equal("5 passed, 1 failed, 0 skipped", tail[^1]);
    }

    [Fact]
    public async Task Test_sh_when_install_fails_says_so_and_prints_its_totals_line()
    {
        using var debian = new FakeDebian();
        debian.Missing("rabbitmq-server");
        debian.FailInstall();
        var r = await debian.RunAsync("test.sh", []);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("apt-get install failed for: rabbitmq-server", r.Stderr);
        Assert.Contains("Could not install the test packages: postgresql-15 rabbitmq-server", r.Stderr);
        Assert.Equal("0 passed, 1 failed, 0 skipped", r.LastLine);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("dotnet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_sh_installs_what_is_missing_then_builds_and_starts_the_AppHost()
    {
        using var debian = new FakeDebian();
        File.WriteAllText(debian.PolicyFile, "#!/bin/sh\nexit 101\n"); // as on machines of this kind
        debian.Missing("rabbitmq-server", "curl");
        var r = await debian.RunAsync("run.sh", []);

        Assert.Contains("Installed: rabbitmq-server curl", r.Stdout);
        Assert.Contains("Building (configuration Release", r.Stdout);
        Assert.Contains(r.Calls, c => c.StartsWith("dotnet build AppHost/StrategicAgent.AppHost", StringComparison.Ordinal));
        Assert.Contains(r.Calls, c => c.StartsWith("dotnet ", StringComparison.Ordinal) && c.EndsWith("StrategicAgent.AppHost.dll", StringComparison.Ordinal));
        // The fake AppHost stops at once; run.sh says so (the real one would print the run info).
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("The AppHost exited during start-up", r.Stderr);
        Assert.True(File.Exists(debian.PolicyFile));
    }

    [Fact]
    public async Task Run_sh_when_apt_update_fails_stops_with_a_clear_message_before_building()
    {
        using var debian = new FakeDebian();
        debian.Missing("libpg-query1504.0");
        debian.FailUpdate();
        var r = await debian.RunAsync("run.sh", []);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("apt-get update failed; cannot install: libpg-query1504.0", r.Stderr);
        Assert.Contains("Could not install the packages the system needs: postgresql-15 rabbitmq-server libpg-query1504.0 libgomp1 curl. Nothing was started.", r.Stderr);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("dotnet", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("validation", "python3-sqlglot")]
    [InlineData("training", "python3-xgboost")]
    public async Task Bench_sh_installs_the_python_side_of_its_comparison_when_missing(string command, string package)
    {
        using var debian = new FakeDebian();
        debian.Missing("python3-sqlglot", "python3-xgboost");
        var r = await debian.RunAsync("bench.sh", [command, "--seconds", "1"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"Installed: {package}", r.Stdout);
        Assert.Contains("fake benchmark ran", r.Stdout);
        Assert.Contains($"dotnet run -c Release --project bench/StrategicAgent.Bench -- {command} --seconds 1", r.Calls);
        // Only what this benchmark needs: the other one stays missing.
        Assert.Equal(new[] { "python3-sqlglot", "python3-xgboost" }.Where(p => p != package), debian.StillMissing());
    }

    [Fact]
    public async Task Bench_sh_installs_nothing_extra_when_nothing_is_missing_and_nothing_for_help()
    {
        using var debian = new FakeDebian();
        var r = await debian.RunAsync("bench.sh", ["prediction"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("apt-get", StringComparison.Ordinal));
        Assert.Contains("dotnet run -c Release --project bench/StrategicAgent.Bench -- prediction", r.Calls);

        debian.Missing("python3-sqlglot");
        var help = await debian.RunAsync("bench.sh", ["validation", "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.DoesNotContain(help.Calls, c => c.StartsWith("apt-get", StringComparison.Ordinal));
        Assert.Equal(["python3-sqlglot"], debian.StillMissing());
    }

    [Fact]
    public async Task Bench_sh_when_install_fails_stops_with_a_clear_message_before_building()
    {
        using var debian = new FakeDebian();
        debian.Missing("python3-sqlglot");
        debian.FailInstall();
        var r = await debian.RunAsync("bench.sh", ["validation"]);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("apt-get install failed for: python3-sqlglot", r.Stderr);
        Assert.Contains("Could not install the packages './bench.sh validation' needs: postgresql-15 libpg-query1504.0 libgomp1 python3-sqlglot. Nothing was measured.", r.Stderr);
        Assert.DoesNotContain(r.Calls, c => c.StartsWith("dotnet", StringComparison.Ordinal));
    }
}

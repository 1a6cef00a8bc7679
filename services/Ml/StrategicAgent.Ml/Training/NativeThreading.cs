using System.Runtime.InteropServices;

namespace StrategicAgent.Ml.Training;

/// <summary>
/// LightGBM runs on OpenMP (libgomp), whose idle threads spin by default. On a machine shared with
/// other work the spinning threads compete with the ones doing the work: on this 2-core machine
/// under a load average of ~14, one medium complexity fit took 73 s and 71 CPU-seconds spinning
/// versus 14 s and 20 CPU-seconds with <c>OMP_WAIT_POLICY=PASSIVE</c>. libgomp reads the variable
/// once, when it is loaded (with LightGBM's native library, on the first fit), from the native
/// environment — which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
/// change on Unix — so it is set with libc's <c>setenv</c>. A value already set by the operator wins.
/// </summary>
internal static class NativeThreading
{
    private static int _configured;

    public static void UsePassiveOpenMpWait()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1 || !OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: keep libgomp's default.
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

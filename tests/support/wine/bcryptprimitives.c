/* A test-harness shim, not part of stationward: Rust's standard library (1.78 and later) takes
 * its random numbers from ProcessPrng in bcryptprimitives.dll, which Windows 10+ has and Wine 8
 * (Debian 12's wine) does not. tests/windows_exe.rs builds this DLL with mingw and puts it on
 * WINEPATH so the real Windows build of stationward runs under Wine. It forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which Wine implements. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n; len -= n;
    }
    return TRUE;
}

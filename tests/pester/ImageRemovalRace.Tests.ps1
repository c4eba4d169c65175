BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Remove-ContainerImage -Force racing New-Container in other pwsh processes (issue 15 item 2)' {
    It 'leaves every container on an image that exists, or refuses the create with ImageNotFound' {
        $n = New-TestName 'race'
        $rootfs = Join-Path $env:PODSHELL_TEST_ROOT "$n-rootfs"
        & (Join-Path $PSScriptRoot '../../build/New-BusyboxRootfs.ps1') -Path $rootfs
        Set-Content (Join-Path $rootfs 'etc/race') $n   # a layer of its own, not busybox's
        $image = Import-ContainerImage -Path $rootfs -Name $n
        $layerDirs = @((Get-OverlayLayer -Image $n).DiffDir)

        $creators = foreach ($k in 1..3) {
            $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
            $script = @"
Import-Module '$env:PODSHELL_MODULE_PATH'
for (`$i = 0; `$i -lt 40; `$i++) {
    try { New-Container $($image.Id) -Name $n-$k-`$i -ErrorAction Stop -- sh -c 'test -f /etc/race' | Out-Null; 'created' }
    catch { 'error ' + `$_.FullyQualifiedErrorId; if (`$_.FullyQualifiedErrorId -like 'ImageNotFound*') { break } }
}
"@
            foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $script)) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            [Diagnostics.Process]::Start($psi)
        }
        try {
            # Remove once the creators are under way, so creates come before, during and after the removal.
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            while (@(Get-Container | Where-Object Name -Like "$n-*").Count -lt 4 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            @(Get-Container | Where-Object Name -Like "$n-*").Count | Should -BeGreaterOrEqual 4 -Because 'the creators run'
            Remove-ContainerImage -Id $image.Id -Force -Confirm:$false -ErrorAction Stop
            $outputs = foreach ($p in $creators) {
                $out = $p.StandardOutput.ReadToEndAsync()
                $p.WaitForExit(120000) | Should -BeTrue
                $out.Result -split "`n" | ForEach-Object Trim | Where-Object { $_ }
            }
            $outputs | Where-Object { $_ -like 'error *' -and $_ -notlike 'error ImageNotFound*' } | Should -BeNullOrEmpty
            Get-ContainerImage -Id $image.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $images = @(Get-ContainerImage).Id
            # No container may point at an image that is gone ("sh: not found" in the issue).
            Get-Container | Where-Object { $_.ImageId -notin $images } | ForEach-Object Name | Should -BeNullOrEmpty
            foreach ($c in Get-Container | Where-Object Name -Like "$n-*") {
                $c | Start-Container
                Wait-Container $c.Name | Should -Be 0
                $c | Remove-Container -Force -Confirm:$false
            }
            foreach ($d in $layerDirs) { Test-Path $d | Should -BeFalse }
        }
        finally {
            foreach ($p in $creators) { if (-not $p.HasExited) { & kill -KILL $p.Id; $p.WaitForExit() } }
            Get-Container | Where-Object Name -Like "$n-*" | Remove-Container -Force -Confirm:$false
            Remove-Item -Recurse -Force $rootfs
        }
    }
}

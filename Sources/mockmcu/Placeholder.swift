print("mockmcu")
